const deep = (n) => deep(n + 1) + 1;
return deep(0);
