# SPDX-License-Identifier: GPL-2.0
# The front door of the workbench. The two commands of the README:
#   make demo   base + series, build, boot in virtme-ng, show IMS at work
#   make test   everything the CI runs; ends with 'N passed, N failed'
# The other verbs are the steps those two are made of.

S := scripts

.PHONY: demo test setup base apply export config build build-debug check mail clean help

help:
	@sed -n 's/^#   make /make /p' Makefile
	@echo "steps: setup base apply export build build-debug check mail clean"

demo:
	@$(S)/demo.sh

test:
	@$(S)/test.sh

setup:
	@$(S)/setup.sh

base:
	@$(S)/base.sh

apply:
	@$(S)/apply.sh

export:
	@$(S)/export.sh

build:
	@$(S)/build.sh vm

build-debug:
	@$(S)/build.sh debug

check:
	@$(S)/check.sh

# The series as mails in build/mail/out (b4, offline; nothing is sent).
mail:
	@$(S)/mail.sh

# Build outputs only; build/linux (the scratch tree) is kept.
clean:
	rm -rf build/out build/check build/test build/logs
