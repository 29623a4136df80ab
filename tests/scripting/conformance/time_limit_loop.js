let n = 0;
function spin() {
  while (true) { n++; }
}
spin();
