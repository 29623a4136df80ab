local a = 1
require("other")
