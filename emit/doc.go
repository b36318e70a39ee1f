// Package emit writes bundles out: a directory tree per host, tarballs, cloud-init user-data,
// an Ansible playbook and Ignition configs. Emitters see only artifacts.
package emit
