#!/usr/bin/env bash
# Builds the bridge and each libFuzzer target with ASan + UBSan (the Swift toolchain's clang carries
# libFuzzer) and runs each for a while. Not in CI. Findings land in fuzz/findings/<target>/; every fixed
# one becomes a test: its input under Tests/*/Regressions/ (e.g. DICOMOutputTests, replayed by `make test`).
# Usage: [MAX_LEN=bytes] fuzz/run.sh [seconds per target = 300] [targets…]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-300}; shift || true
targets=${*:-fuzz_dicom fuzz_raster fuzz_tagwriter}
CC=${CC:-$(command -v clang)}; CXX=${CXX:-$(dirname "$CC")/clang++}
build=.build/fuzz; mkdir -p "$build" fuzz/findings
flags="-g -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined -I Sources/DICOMBridge/include -I/usr/include/openjpeg-2.5 -I/usr/include/libpng16"
objects=()
for src in Sources/DICOMBridge/*.cpp Sources/DICOMBridge/*.c; do
  obj="$build/$(basename "$src").o"
  case "$src" in *.cpp) "$CXX" -std=c++17 $flags -fsanitize=fuzzer-no-link -c "$src" -o "$obj" ;;
                 *.c)   "$CC" $flags -fsanitize=fuzzer-no-link -c "$src" -o "$obj" ;; esac
  objects+=("$obj")
done
libs="-lcmr -ldcmsr -ldcmpmap -ldcmfg -ldcmiod -ldcmpstat -ldcmjpls -ldcmjpeg -ldcmimage -ldcmimgle -ldcmnet -ldcmdata -loflog -lofstd -lopenjp2 -lpng16 -ljpeg -lz"
# Seed corpora: the project's fixtures and the shared data (copied into the build folder, never committed).
seed() {
  local dir="$build/corpus-$1"; mkdir -p "$dir"
  case "$1" in
    fuzz_dicom) find ../shared/data/dicom Tests -name '*.dcm' -size -3M -exec cp {} "$dir/" \; 2>/dev/null || true
                # A seed with the nested code sequences the header's words come from.
                cp ../shared/data/dicom/chest_CR_PA_gdcm-CR-MONO1-10-chest.dcm "$dir/nested-words.dcm" 2>/dev/null \
                  && dcmodify -nb -i "(0054,0410)[0].(0054,0412)[0].(0008,0104)=supine" -i "(0008,1032)[0].(0008,0104)=XR CHEST AP" \
                       "$dir/nested-words.dcm" >/dev/null 2>&1 || true
                # pydicom's test files, when it is installed: big endian, deflated, JPEG-LS, JPEG 2000, RLE,
                # odd VRs and deliberately broken files that our data lacks.
                pydicom_files=$(/usr/bin/python3 -c 'import os, pydicom; print(os.path.join(os.path.dirname(pydicom.__file__), "data", "test_files"))' 2>/dev/null || true)
                [ -n "$pydicom_files" ] && find "$pydicom_files" -name '*.dcm' -size -1M -exec sh -c 'cp "$1" "$2/pydicom-$(basename "$1")"' _ {} "$dir" \; ;;
    fuzz_raster) find ../shared/data/cxr-views -type f \( -name '*.png' -o -name '*.jp*g' \) -size -300k | head -40 | xargs -I{} cp {} "$dir/"
                 # One small picture of each kind `file` tells apart on this machine (palette PNGs of 1-8 bits,
                 # gray + alpha, 16-bit RGBA, interlaced, JFIF and baseline JPEG): layouts the films lack.
                 find /usr/share -xdev \( -iname '*.png' -o -iname '*.jpg' -o -iname '*.jpeg' \) -size -64k 2>/dev/null \
                   | grep -v -i -e skimage -e scikit -e imageio | xargs -r file -L | awk -F': *' '{k=$2; gsub(/[0-9]+ x [0-9]+|, [0-9]+x[0-9]+,.*|density.*/, "", k); if (!(k in seen)) {seen[k]=1; print $1}}' \
                   | while read -r f; do cp -L "$f" "$dir/machine-$(basename "$f")"; done || true ;;
    fuzz_tagwriter) printf 'PatientName\nDoe^Jane\n' > "$dir/a"; printf 'ViewCodeSequence[0].CodeValue\n272479007\n' > "$dir/b";
                    printf 'OriginalAttributesSequence[0].ModifiedAttributesSequence[0].ViewPosition\nLL\n' > "$dir/c"
                    printf 'PatientName\nM\xc3\xbcller^J\xc3\xbcrgen=\xe5\xb1\xb1\xe7\x94\xb0\n' > "$dir/d"  # non-ASCII: declares ISO_IR 192
                    printf 'PatientID\n%s\n' "$(printf 'x%.0s' $(seq 65))" > "$dir/e" ;;  # one past LO's 64 characters
  esac
  echo "$dir"
}
for t in $targets; do
  "$CXX" -std=c++17 $flags -fsanitize=fuzzer "fuzz/$t.cpp" "${objects[@]}" $libs -o "$build/$t" 2>&1 \
    | grep -v "Cannot export local symbol" || true
  mkdir -p "fuzz/findings/$t"
  corpus=$(seed "$t")
  echo "== $t for $seconds s"
  "$build/$t" -max_total_time="$seconds" -rss_limit_mb=4096 -max_len="${MAX_LEN:-1048576}" -artifact_prefix="fuzz/findings/$t/" \
    -print_final_stats=1 "$corpus" 2>&1 | grep -E "stat::number_of_executed_units|stat::peak_rss|ERROR|SUMMARY|Done" || true
done
