-- main.lua - greets, then reports on a text shipped beside it.
--
--   luaapp /usr/local/share/lua/5.4/main.lua [NAME [FILE]]
--
-- The modules come from package.path and the text from a path relative to
-- this script: the interpreter only ever opens files by path.
local greet = require "greet"
local textutil = require "textutil"

local here = arg[0]:match("^(.*)/") or "."
local name = arg[1] or "world"
local path = arg[2] or here .. "/data/words.txt"

print(greet.hello(name))
print("greet module: " .. package.searchpath("greet", package.path))
print("textutil module: " .. package.searchpath("textutil", package.path))

local f, err = io.open(path, "r")
if not f then
	io.stderr:write("luaapp: ", err, "\n")
	os.exit(1)
end
local text = f:read("a")
f:close()

local counts, lines, words = textutil.count(text)
local distinct = 0
for _ in pairs(counts) do
	distinct = distinct + 1
end
print(("%s: %d lines, %d words, %d distinct"):format(path, lines, words, distinct))
for i, w in ipairs(textutil.top(counts, 3)) do
	print(("%d. %s %d"):format(i, w.word, w.n))
end
