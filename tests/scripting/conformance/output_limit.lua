for i = 1, 1000 do
  print("0123456789")
end
