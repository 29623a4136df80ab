let a = 1;

throw new Error("boom");
