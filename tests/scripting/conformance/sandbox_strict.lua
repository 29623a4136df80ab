local a = 1
os.execute("true")
