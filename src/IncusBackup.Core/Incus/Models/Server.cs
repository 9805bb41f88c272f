using System.Text.Json;

namespace IncusBackup.Incus;

/// <summary>GET /1.0: the server's version, extensions and whether it trusts us.</summary>
public sealed class ServerInfo
{
    public List<string> ApiExtensions { get; set; } = [];
    public string? Auth { get; set; }
    public ServerEnvironment Environment { get; set; } = new();
    public Dictionary<string, JsonElement>? Config { get; set; }
}

public sealed class ServerEnvironment
{
    public string ServerVersion { get; set; } = "";
    public string? ServerName { get; set; }
    public bool ServerClustered { get; set; }

    /// <summary>The SHA-256 fingerprint of the server's certificate: who the server is, whatever its address.</summary>
    public string? CertificateFingerprint { get; set; }
    public string? Storage { get; set; }
}
