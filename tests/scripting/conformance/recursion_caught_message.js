const deep = (n) => deep(n + 1) + 1; try { deep(0); } catch ({ message }) { return "survived: " + message; } return "survived";
