package kubelet

import "testing"

// The unit writer is fed hostile values directly, bypassing the schema: whatever a future
// field passes it, it refuses what systemd would read as another line or another setting.
func TestUnitFileRefuses(t *testing.T) {
	for _, tc := range []struct {
		name  string
		write func(u *unitFile)
	}{
		{"newline in a value", func(u *unitFile) { u.set("Description", "x\nExecStartPre=/bin/touch /tmp/x") }},
		{"carriage return in a value", func(u *unitFile) { u.set("Description", "x\rExecStartPre=/bin/sh") }},
		{"NUL in a value", func(u *unitFile) { u.set("Description", "x\x00y") }},
		{"escape sequence in a value", func(u *unitFile) { u.set("Description", "x\x1b[2Jy") }},
		{"C1 control in a value", func(u *unitFile) { u.set("Description", "x\u0085y") }},
		{"invalid UTF-8 in a value", func(u *unitFile) { u.set("Description", "x\xffy") }},
		{"final backslash continues the line", func(u *unitFile) { u.set("Description", `x\`) }},
		{"leading whitespace systemd trims", func(u *unitFile) { u.set("Slice", " kube.slice") }},
		{"trailing whitespace systemd trims", func(u *unitFile) { u.set("Slice", "kube.slice\t") }},
		{"newline in a comment", func(u *unitFile) { u.comment("hello\n[Service]\nExecStartPre=/bin/sh") }},
		{"bracket in a section name", func(u *unitFile) { u.section("Service]\n[Unit") }},
		{"equals sign in a key", func(u *unitFile) { u.set("ExecStartPre=/bin/sh #", "") }},
		{"setting outside a section", func(u *unitFile) { u.b.Reset(); u.sections = 0; u.set("Restart", "always") }},
		{"newline in an environment value", func(u *unitFile) { u.setEnv("HTTP_PROXY", "http://p:3128\nExecStartPre=/bin/sh") }},
		{"equals sign in an environment name", func(u *unitFile) { u.setEnv("A=B", "c") }},
		{"space in an environment name", func(u *unitFile) { u.setEnv("A B", "c") }},
		{"relative program", func(u *unitFile) { u.setExec("ExecStart", literal("kubelet")) }},
		{"program with a systemd prefix", func(u *unitFile) { u.setExec("ExecStart", literal("-/usr/bin/kubelet")) }},
		{"program from a variable", func(u *unitFile) { u.setExec("ExecStart", splitVar("PROGRAM")) }},
		{"program with a space", func(u *unitFile) { u.setExec("ExecStart", literal("/usr/bin/kube let")) }},
		{"no program", func(u *unitFile) { u.setExec("ExecStart") }},
		{"newline in an argument", func(u *unitFile) { u.setExec("ExecStart", literal("/bin/x"), literal("--v=2\nExecStartPre=/bin/sh")) }},
		{"bad variable name", func(u *unitFile) { u.setExec("ExecStart", literal("/bin/x"), splitVar("A}B")) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var u unitFile
			u.section("Service")
			tc.write(&u)
			u.set("Restart", "always")
			if data, err := u.bytes(); err == nil {
				t.Errorf("written:\n%s", data)
			} else {
				t.Log(err)
			}
		})
	}
}

// What systemd would expand is escaped, and what it would split is quoted.
func TestUnitFileEscapes(t *testing.T) {
	var u unitFile
	u.section("Service")
	u.set("Description", "100% kubelet")
	u.setEnv("HTTP_PROXY", `http://u:p%40$x"y\z'@proxy:3128`)
	u.setExec("ExecStart", literal("/usr/bin/kubelet"), literal("--a=b c"), literal("--home=$HOME"), literal("--p=100%"),
		literal(";"), literal(""), literal(`--q="x"`), literal(`--b=\n`), literal("--s='x'"), literal("--x={{ y }}"), splitVar("ARGS"))
	data, err := u.bytes()
	if err != nil {
		t.Fatal(err)
	}
	want := `[Service]
Description=100%% kubelet
Environment="HTTP_PROXY=http://u:p%%40$x\"y\\z'@proxy:3128"
ExecStart=/usr/bin/kubelet "--a=b c" --home=$$HOME --p=100%% ";" "" "--q=\"x\"" "--b=\\n" "--s='x'" "--x={{ y }}" $ARGS
`
	if string(data) != want {
		t.Errorf("got\n%s\nwant\n%s", data, want)
	}
}

func TestEnvFileWords(t *testing.T) {
	got, err := envFileWords("KUBELET_KUBEADM_ARGS", []string{"--node-ip=10.0.0.1", "--x=$HOME`id`", "--p=100%", "--j={{x}}"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "KUBELET_KUBEADM_ARGS=\"--node-ip=10.0.0.1 --x=\\$HOME\\`id\\` --p=100% --j={{x}}\"\n"; string(got) != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	for _, words := range [][]string{
		{"--v=2 --anonymous-auth=true"},
		{"--v=2\t--anonymous-auth=true"},
		{"--v=2\n--anonymous-auth=true"},
		{"--v=2\rx"},
		{`--v="2"`},
		{"--v='2'"},
		{`--v=2\`},
		{"--v=\x00"},
		{"--v=\xff"},
		{""},
	} {
		if data, err := envFileWords("KUBELET_KUBEADM_ARGS", words); err == nil {
			t.Errorf("%q written: %q", words, data)
		}
	}
	if _, err := envFileWords("A-B", nil); err == nil {
		t.Error("a variable name with a dash was written")
	}
}
