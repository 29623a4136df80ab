local a = 1
hang()
