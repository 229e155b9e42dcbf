from bench.billing.run import main

main()
