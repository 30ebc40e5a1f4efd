# Entry points for people; each target delegates to an npm script (see README.md).
.PHONY: setup start test package deploy test-device sim lint bench clean help

help:
	@echo "make start        set up, build the channel and run it in the simulator (the main job)"
	@echo "make test         set up and run every test (type-check, lint, TypeScript, Rooibos in the simulator)"
	@echo "make package      build the sideloadable channel: out/channel.zip"
	@echo "make deploy       sideload out/channel.zip to ROKU_DEV_TARGET (password: ROKU_DEV_PASSWORD)"
	@echo "make test-device  build the Rooibos package, sideload it and read the report from the device console"
	@echo "make sim ZIP=...  run any channel package in the simulator"
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

ZIP ?= out/channel.zip
sim: setup
	npm run sim -- $(ZIP)

lint: setup
	npm run lint

bench: setup
	npm run bench

clean:
	rm -rf out
