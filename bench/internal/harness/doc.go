// Package harness is what the load tools under bench/ share for running
// portico as a child process and watching what it does: building the
// binary, starting and stopping it, an SMTP sink that records what arrives,
// reading the portal link out of a confirmation mail, a Postmark inbound
// payload, and writing a report table into a marked section of a Markdown
// document.
package harness
