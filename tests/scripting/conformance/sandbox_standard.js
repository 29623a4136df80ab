let a = 1;
await require("other");
