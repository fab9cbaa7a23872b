#!/usr/bin/env bash
# Builds a self-contained EdgeFit application image (runtime included) with the JDK's jpackage.
# Usage: jpackage/build.sh [app-image|deb]   (default app-image; 'deb' needs Debian's fakeroot and dpkg-dev)
set -euo pipefail
cd "$(dirname "$0")/.."
type="${1:-app-image}"
mvn -q -B -DskipTests package
rm -rf target/jpackage-input target/dist
mkdir -p target/jpackage-input/lib
cp target/edgefit.jar target/jpackage-input/
cp target/lib/*.jar target/jpackage-input/lib/
cp -r assets device-profiles target/jpackage-input/
version=$(grep -m1 '<version>' pom.xml | sed -E 's/.*<version>([0-9.]+).*/\1/')
jpackage --type "$type" --name EdgeFit --app-version "$version" \
  --input target/jpackage-input --main-jar edgefit.jar --main-class dev.edgefit.Main \
  --java-options '-Xmx4g' --dest target/dist \
  --jlink-options '--strip-debug --no-man-pages --no-header-files'
# (jpackage's default jlink options also strip bin/java, which the peak-memory probe starts as a child process)
echo "written: $(ls -d target/dist/*)"
