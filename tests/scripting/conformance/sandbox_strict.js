let a = 1;
eval("1");
