#!/usr/bin/env bash
# Fills corpus/TARGET/ with the repository's real inputs, the starting points
# of `cargo fuzz run TARGET corpus/TARGET`, and writes the config dictionary.
# Needs a built `gate` (`cargo build` at the root) for the JSON reports.
set -euo pipefail
cd "$(dirname "$0")"
root=..
gate=${GATE:-$root/target/debug/gate}
rm -rf corpus && mkdir -p corpus/config corpus/interpolate corpus/markdown corpus/merge dict

# config: the templates, the repository's and the example's checklists, the
# TOML blocks of README.md and the configs written inline in the CLI tests.
cp "$root"/src/templates/*.toml corpus/config/
cp "$root"/gates.toml corpus/config/repository.toml
cp "$root"/examples/python-service/gates.toml corpus/config/example.toml
cp "$root"/tests/properties/report.toml corpus/config/report.toml
perl -0ne 'my $n = 0; while (/```toml\n(.*?)```/sg) { open my $f, ">", "corpus/config/readme-" . ++$n . ".toml"; print $f $1 }' "$root"/README.md
perl -0ne '(my $test = $ARGV) =~ s{.*/|\.rs$}{}g; my $n = 0;
    while (/r#"\n(.*?)"#/sg) { my $t = $1; next unless $t =~ /^(\[gates|version|\[settings)/m;
        open my $f, ">", "corpus/config/$test-" . ++$n . ".toml"; print $f $t }' "$root"/tests/cli/*.rs

# interpolate: every line of those configs that interpolates.
cat corpus/config/* | grep -h '\$' | sort -u | split -l 1 - corpus/interpolate/line-

# markdown: the test checklists, and the shared seed checklists when present.
cp "$root"/tests/cli/fixtures/checklists/*.md corpus/markdown/
if [ -d "$root"/../shared/seeds ]; then cp "$root"/../shared/seeds/*.md corpus/markdown/; fi

# merge: the JSON reports of a real run and of its two shards, and the two
# shards as one input (reports are separated by a NUL byte).
run=$(mktemp -d)
trap 'rm -rf "$run"' EXIT
cp "$root"/tests/properties/report.toml "$run"/gates.toml
(cd "$run" && "$OLDPWD/$gate" run -q --json whole.json >/dev/null || true)
(cd "$run" && "$OLDPWD/$gate" run -q --partition 1/2 --json shard-1.json >/dev/null || true)
(cd "$run" && "$OLDPWD/$gate" run -q --partition 2/2 --json shard-2.json >/dev/null || true)
cp "$run"/*.json corpus/merge/
{ cat "$run"/shard-1.json; printf '\0'; cat "$run"/shard-2.json; } > corpus/merge/shards

# The config's keys, for -dict=dict/config.dict.
grep -rhoE 'pub [a-z_]+: ' "$root"/src/config/raw.rs "$root"/src/check "$root"/src/service \
    | sed -E 's/pub ([a-z_]+): /"\1 = "/' | sort -u > dict/config.dict
for table in gates settings env profiles services signoff; do echo "\"[$table.\""; done >> dict/config.dict
echo '"${"' >> dict/config.dict
ls corpus/* | awk '/:$/ {dir=$0; next} NF {n[dir]++} END {for (d in n) print d, n[d], "files"}'
