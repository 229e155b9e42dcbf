from bench.webhooks.run import main

main()
