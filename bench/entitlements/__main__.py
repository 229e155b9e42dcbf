from bench.entitlements.run import main

main()
