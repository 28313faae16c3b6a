#!/bin/sh
# Builds the .deb with CPack from BUILD_DIR and checks its Depends and contents,
# then that the bash completion loads and completes sub-commands.
set -eu
build=$1
source_dir=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cpack --config "$build/CPackConfig.cmake" -G DEB -B "$out" >/dev/null
deb=$(ls "$out"/*.deb)
info=$(dpkg-deb -I "$deb")
for dep in libcurl4 libssl3 libarchive13 libyaml-cpp0.7 libzstd1 zlib1g libfmt9 libspdlog1.10; do
  echo "$info" | grep -q "Depends:.*$dep" || { echo "Depends lacks $dep:"; echo "$info"; exit 1; }
done
contents=$(dpkg-deb -c "$deb")
for file in ./usr/bin/ferry ./usr/share/man/man1/ferry.1 ./usr/share/bash-completion/completions/ferry \
            ./usr/share/man/man1/ferry-copy.1 ./usr/share/man/man1/ferry-inspect.1 ./usr/share/man/man1/ferry-mirror.1 \
            ./usr/share/man/man1/ferry-describe.1 ./usr/share/man/man1/ferry-delete.1 ./usr/share/man/man1/ferry-list.1 \
            ./usr/share/man/man1/ferry-list-operators.1 ./usr/share/man/man1/ferry-list-tags.1 \
            ./usr/share/man/man1/ferry-list-releases.1 \
            ./usr/share/man/man1/ferry-version.1 \
            ./usr/share/zsh/vendor-completions/_ferry; do
  echo "$contents" | grep -q " $file\$" || { echo "the package lacks $file:"; echo "$contents"; exit 1; }
done
completed=$(bash -c ". '$source_dir/packaging/completions/ferry.bash'; COMP_WORDS=(ferry co); COMP_CWORD=1; _ferry; echo \${COMPREPLY[*]}")
[ "$completed" = "copy" ] || { echo "bash completion of 'ferry co' gave '$completed'"; exit 1; }
completed=$(bash -c ". '$source_dir/packaging/completions/ferry.bash'; COMP_WORDS=(ferry list ''); COMP_CWORD=2; _ferry; echo \${COMPREPLY[*]}")
[ "$completed" = "operators tags releases" ] || { echo "bash completion of 'ferry list' gave '$completed'"; exit 1; }
echo "package and completion OK: $deb"
