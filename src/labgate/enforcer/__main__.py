from labgate.enforcer.app import main

main()
