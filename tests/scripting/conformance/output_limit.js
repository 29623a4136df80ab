for (let i = 0; i < 1000; i++) {
  print("0123456789");
}
