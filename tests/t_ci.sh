#!/usr/bin/env bash
# t_ci.sh BUILD_DIR - docs/CI.md as written: its Makefile rules, and the
# build step of its GitHub Actions workflow, run in a project that
# `fatpack init` set up, with the code taken from the document itself.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

DOC=$TOP/docs/CI.md
export PATH="$BUILD/bin:$PATH"

# doc_block HEADING N: the Nth indented code block under "## HEADING",
# without its indentation.
doc_block() {
	awk -v head="$1" -v want="$2" '
		/^## / { sec = $0 == "## " head; blk = 0; next }
		!sec { next }
		/^    / {
			if (!blk) { n++; blk = 1 }
			if (n == want) { sub(/^    /, ""); print }
			next
		}
		/^$/ { if (blk && n == want) print; next }
		{ blk = 0 }
	' "$DOC"
}

# step_script NAME [HEADING N]: the `run: |` script of the workflow step
# NAME, in the Nth block under HEADING (default: GitHub Actions, 2).
step_script() {
	doc_block "${2:-GitHub Actions}" "${3:-2}" | awk -v step="$1" '
		$0 ~ "- name: " step "$" { found = 1; next }
		found && !col && /run: \|$/ { col = index($0, "run:"); next }
		col && /^ *$/ { next }
		col && substr($0, 1, col + 1) ~ /^ *$/ { print substr($0, col + 2); next }
		col { exit }
	'
}

# A project as `fatpack init` sets it up, committed and tagged.
P=$T/shop
mkdir -p "$P/src" "$P/public"
cat >"$P/src/main.c" <<'EOF'
#include <stdio.h>
#include <fatpack.h>

int
main(void)
{
	const void *data;
	size_t n;

	puts(fatpack_get("index.html", &data, &n) == 0 ? "shop" : "no index");
	return 0;
}
EOF
printf '<h1>shop</h1>\n' >"$P/public/index.html"
cd "$P" || done_testing
check "fatpack init" fatpack init
check "a git repository with a tag" sh -c 'git init -q &&
	git -c user.name=t -c user.email=t@t add . &&
	git -c user.name=t -c user.email=t@t commit -qm init &&
	git tag v1.2.3'

# --- the workflow's build step --------------------------------------------

step_script build >"$T/build-step.sh"
check_grep "the build step is found in CI.md" "fatpack build" "$T/build-step.sh"
: >"$T/gh-output"
check "the build step runs" env GITHUB_REF_NAME=v1.2.3 \
	GITHUB_OUTPUT="$T/gh-output" \
	bash --noprofile --norc -eo pipefail "$T/build-step.sh"
check_eq "the step outputs the name fatpack init chose" "app=shop" \
	"$(cat "$T/gh-output")"
check_eq "the upload glob matches the artifact alone" "dist/shop-1.2.3" \
	"$(ls -d dist/shop-* 2>&1)"
check_eq "the artifact runs" "shop" "$(./dist/shop-1.2.3 2>&1)"
rm -rf dist

# --- the two-architecture job's build step ------------------------------

step_script "build both" "Two architectures in one job" 2 >"$T/both-step.sh"
check_grep "the two-architecture build step is found in CI.md" \
	"--target aarch64" "$T/both-step.sh"
check "the two-architecture build step runs (qemu for aarch64)" \
	env GITHUB_REF_NAME=v1.2.3 \
	bash --noprofile --norc -eo pipefail "$T/both-step.sh"
check_eq "it writes one artifact per machine" \
	"dist/shop-1.2.3-aarch64 dist/shop-1.2.3-x86_64" "$(echo dist/shop-1*)"
check_eq "and a link per machine" "shop-1.2.3-aarch64 shop-1.2.3-x86_64" \
	"$(readlink dist/shop-aarch64) $(readlink dist/shop-x86_64)"
check_eq "the x86_64 one runs" "shop" "$(./dist/shop-1.2.3-x86_64 2>&1)"
check_eq "the aarch64 one runs under qemu" "shop" \
	"$(qemu-aarch64-static ./dist/shop-1.2.3-aarch64 2>&1)"
rm -rf dist

# --- the Makefile rules ---------------------------------------------------

doc_block "A plain Makefile rule" 1 >"$T/rules.mk"
doc_block "A plain Makefile rule" 2 >"$T/cmdline.mk"
doc_block "A plain Makefile rule" 3 >"$T/cc.mk"
check_grep "the release rule is found in CI.md" "^release:" "$T/rules.mk"
check_grep "the recipes keep their tabs" "^	fatpack verify" "$T/rules.mk"

check "make release" make -f "$T/rules.mk" release
check_eq "release: the artifact fatpack.ini names" "shop" \
	"$(./dist/shop-v1.2.3 2>&1)"

cat "$T/rules.mk" "$T/cmdline.mk" >"$T/make2"
check "make dist/app, everything on the command line" \
	make -f "$T/make2" dist/app
check_eq "the command-line artifact runs" "shop" "$(./dist/app 2>&1)"

rm -rf dist build src/*.o
cat "$T/rules.mk" "$T/cc.mk" >"$T/make3"
check "make dist/app with CC = fatpack cc, into a new build/" \
	make -f "$T/make3" dist/app
check "the program was linked into build/" test -x build/app
check_eq "the artifact of the linked program runs" "shop" \
	"$(./dist/app 2>&1)"

done_testing
