-- greet.lua - a module found by `require "greet"` through package.path.
local M = {}

function M.hello(name)
	return ("Hello, %s, from %s in one file!"):format(name, _VERSION)
end

return M
