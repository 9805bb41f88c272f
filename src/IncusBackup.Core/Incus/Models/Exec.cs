using System.Text.Json.Serialization;

namespace IncusBackup.Incus;

/// <summary>The body of POST /1.0/instances/{name}/exec without a terminal: the output is recorded to log files.</summary>
public sealed class ExecRequest
{
    public List<string> Command { get; set; } = [];
    public Dictionary<string, string> Environment { get; set; } = [];
    public bool Interactive { get; set; }

    [JsonPropertyName("wait-for-websocket")]
    public bool WaitForWebsocket { get; set; }

    [JsonPropertyName("record-output")]
    public bool RecordOutput { get; set; } = true;
}

/// <summary>What a command run inside an instance returned: its exit code and (the start of) its output.</summary>
public sealed record ExecResult(int ExitCode, string Stdout, string Stderr);

/// <summary>The body of POST /1.0/projects.</summary>
public sealed class ProjectCreateRequest
{
    public string Name { get; set; } = "";
    public string Description { get; set; } = "";
    public Dictionary<string, string> Config { get; set; } = [];
}
