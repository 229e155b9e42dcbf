from bench.shop_billing.run import main

main()
