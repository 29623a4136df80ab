const t = [];
while (true) { t.push(new Array(1024).fill(1)); }
