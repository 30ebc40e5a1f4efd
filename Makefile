# Entry points for people; each target delegates to an npm script (see README.md).
.PHONY: setup start test package deploy test-device smoke-device device-probe sim origin lint bench clean help

help:
	@echo "make start        set up, then play a title: local origin -> channel in the simulator -> DASH player"
	@echo "make test         set up and run every test (type-check, lint, TypeScript, Rooibos in the simulator)"
	@echo "make package      build the sideloadable channel: out/channel.zip"
	@echo "make deploy       sideload out/channel.zip to ROKU_DEV_TARGET (password: ROKU_DEV_PASSWORD)"
	@echo "make test-device  build the Rooibos package, sideload it and read the report from the device console"
	@echo "make smoke-device build, sideload and launch the channel; pass once the player's position advances (SMOKE_ARGS=\"--help\")"
	@echo "make device-probe ask the Roku what its docs leave open; writes out/device-probe/report.json (PROBE_ARGS=\"--help\", \"--sim\")"
	@echo "make sim ZIP=...  run any channel package in the simulator"
	@echo "make origin       run the local SABR origin (ORIGIN_ARGS=\"--host 0.0.0.0\" to serve the LAN)"
	@echo "make bench        run the benchmarks (JSON lines)"
	@echo "make clean        remove out/"

setup:
	@bash tools/setup.sh

start: setup
	npm start

test: setup
	npm test

package: setup
	npm run build

deploy: package
	npm run deploy

test-device: setup
	npm run test:device

smoke-device: setup
	npx tsx tools/deploy/smoke-device.ts $(SMOKE_ARGS)

device-probe: setup
	npx tsx tools/device-probe/cli.ts $(PROBE_ARGS)

ZIP ?= out/channel.zip
sim: setup
	npm run sim -- $(ZIP)

origin: setup
	npm run origin -- $(ORIGIN_ARGS)

lint: setup
	npm run lint

bench: setup
	npm run bench

clean:
	rm -rf out
