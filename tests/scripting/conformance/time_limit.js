let a = 1;
await hang();
