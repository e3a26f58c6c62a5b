-- textutil/init.lua - found by `require "textutil"` through the ?/init.lua
-- template of package.path, after textutil.lua was looked for and not found.
local M = {}

-- The lines, words and per-word counts of TEXT; words are lower-cased runs
-- of letters and apostrophes.
function M.count(text)
	local counts, lines, words = {}, 0, 0
	for line in text:gmatch("[^\n]*\n?") do
		if line ~= "" then
			lines = lines + 1
		end
		for word in line:gmatch("[%a']+") do
			word = word:lower()
			counts[word] = (counts[word] or 0) + 1
			words = words + 1
		end
	end
	return counts, lines, words
end

-- The N most frequent words of COUNTS, most frequent first, ties in
-- alphabetical order.
function M.top(counts, n)
	local list = {}
	for word, c in pairs(counts) do
		list[#list + 1] = { word = word, n = c }
	end
	table.sort(list, function(a, b)
		if a.n ~= b.n then
			return a.n > b.n
		end
		return a.word < b.word
	end)
	local out = {}
	for i = 1, math.min(n, #list) do
		out[i] = list[i]
	end
	return out
end

return M
