package unit

import "testing"

// The unit writer is fed hostile values directly, bypassing the schema: whatever a future
// field passes it, it refuses what systemd would read as another line or another setting.
func TestUnitFileRefuses(t *testing.T) {
	for _, tc := range []struct {
		name  string
		write func(u *File)
	}{
		{"newline in a value", func(u *File) { u.Set("Description", "x\nExecStartPre=/bin/touch /tmp/x") }},
		{"carriage return in a value", func(u *File) { u.Set("Description", "x\rExecStartPre=/bin/sh") }},
		{"NUL in a value", func(u *File) { u.Set("Description", "x\x00y") }},
		{"escape sequence in a value", func(u *File) { u.Set("Description", "x\x1b[2Jy") }},
		{"C1 control in a value", func(u *File) { u.Set("Description", "x\u0085y") }},
		{"invalid UTF-8 in a value", func(u *File) { u.Set("Description", "x\xffy") }},
		{"final backslash continues the line", func(u *File) { u.Set("Description", `x\`) }},
		{"leading whitespace systemd trims", func(u *File) { u.Set("Slice", " kube.slice") }},
		{"trailing whitespace systemd trims", func(u *File) { u.Set("Slice", "kube.slice\t") }},
		{"newline in a comment", func(u *File) { u.Comment("hello\n[Service]\nExecStartPre=/bin/sh") }},
		{"bracket in a section name", func(u *File) { u.Section("Service]\n[Unit") }},
		{"equals sign in a key", func(u *File) { u.Set("ExecStartPre=/bin/sh #", "") }},
		{"setting outside a section", func(u *File) { u.b.Reset(); u.sections = 0; u.Set("Restart", "always") }},
		{"newline in an environment value", func(u *File) { u.SetEnv("HTTP_PROXY", "http://p:3128\nExecStartPre=/bin/sh") }},
		{"equals sign in an environment name", func(u *File) { u.SetEnv("A=B", "c") }},
		{"space in an environment name", func(u *File) { u.SetEnv("A B", "c") }},
		{"relative program", func(u *File) { u.SetExec("ExecStart", Literal("kubelet")) }},
		{"program with a systemd prefix", func(u *File) { u.SetExec("ExecStart", Literal("-/usr/bin/kubelet")) }},
		{"program from a variable", func(u *File) { u.SetExec("ExecStart", Var("PROGRAM")) }},
		{"program with a space", func(u *File) { u.SetExec("ExecStart", Literal("/usr/bin/kube let")) }},
		{"no program", func(u *File) { u.SetExec("ExecStart") }},
		{"newline in an argument", func(u *File) { u.SetExec("ExecStart", Literal("/bin/x"), Literal("--v=2\nExecStartPre=/bin/sh")) }},
		{"bad variable name", func(u *File) { u.SetExec("ExecStart", Literal("/bin/x"), Var("A}B")) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var u File
			u.Section("Service")
			tc.write(&u)
			u.Set("Restart", "always")
			if data, err := u.Bytes(); err == nil {
				t.Errorf("written:\n%s", data)
			} else {
				t.Log(err)
			}
		})
	}
}

// What systemd would expand is escaped, and what it would split is quoted.
func TestUnitFileEscapes(t *testing.T) {
	var u File
	u.Section("Service")
	u.Set("Description", "100% kubelet")
	u.SetEnv("HTTP_PROXY", `http://u:p%40$x"y\z'@proxy:3128`)
	u.SetExec("ExecStart", Literal("/usr/bin/kubelet"), Literal("--a=b c"), Literal("--home=$HOME"), Literal("--p=100%"),
		Literal(";"), Literal(""), Literal(`--q="x"`), Literal(`--b=\n`), Literal("--s='x'"), Literal("--x={{ y }}"), Var("ARGS"))
	data, err := u.Bytes()
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
