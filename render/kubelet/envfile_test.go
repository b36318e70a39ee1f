package kubelet

import "testing"

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
