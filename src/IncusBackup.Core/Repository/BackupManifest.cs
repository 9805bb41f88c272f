using System.Text.Json;
using System.Text.Json.Serialization;

namespace IncusBackup.Repository;

/// <summary>manifest.json of one backup: what was backed up, from where, how, and the files with their sha256.</summary>
public sealed class BackupManifest
{
    public const int CurrentSchema = 1;

    public int SchemaVersion { get; set; } = CurrentSchema;
    public string Kind { get; set; } = "";
    public string Project { get; set; } = "";
    public string? Pool { get; set; }
    public string Name { get; set; } = "";
    public string Version { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset CompletedAt { get; set; }
    public string ToolVersion { get; set; } = "";

    /// <summary>The run that took this backup along with others (Backup-IncusServer), so the whole run can be found again.</summary>
    public string? RunId { get; set; }
    public ManifestServer Server { get; set; } = new();
    public ManifestOptions Options { get; set; } = new();
    public string? InstanceType { get; set; }
    public List<string> Snapshots { get; set; } = [];

    /// <summary>The source object as the API returned it (instance or volume), for traceability and restore planning.</summary>
    public JsonElement? Source { get; set; }
    public List<ManifestFile> Files { get; set; } = [];
}

public sealed class ManifestServer
{
    /// <summary>The server a backup comes from, as GET /1.0 describes it, and how this client reached it.</summary>
    public static ManifestServer Of(Incus.ServerInfo info, Incus.IIncusServer server, string? member = null) => new()
    {
        Member = member,
        Version = info.Environment.ServerVersion,
        Name = info.Environment.ServerName,
        Clustered = info.Environment.ServerClustered,
        Endpoint = server.Endpoint,
        Remote = server.RemoteName,
        CertificateFingerprint = info.Environment.CertificateFingerprint,
    };

    public string Version { get; set; } = "";

    /// <summary>The server's name (its host name when standalone): what tells the hosts sharing a repository apart.</summary>
    public string? Name { get; set; }
    public string? Endpoint { get; set; }

    /// <summary>The incus CLI remote the backup was taken through (null: the local socket or -Server).</summary>
    public string? Remote { get; set; }

    /// <summary>The SHA-256 fingerprint of the server's certificate.</summary>
    public string? CertificateFingerprint { get; set; }
    public bool Clustered { get; set; }

    /// <summary>The cluster member the instance or volume lived on (its location); null when standalone.</summary>
    public string? Member { get; set; }
}

public sealed class ManifestOptions
{
    /// <summary>How the source was held still: Frozen, Stopped or None.</summary>
    public string Consistency { get; set; } = "";
    public bool InstanceOnly { get; set; }
    public bool Optimized { get; set; }

    /// <summary>Compression asked of the server (or its default), e.g. zstd.</summary>
    public string Compression { get; set; } = "";

    /// <summary>What the archive's magic bytes say it is: gzip, zstd, xz, bzip2, none...</summary>
    public string DetectedCompression { get; set; } = "";

    /// <summary>ServerBackup (create, download, delete) or Direct (streamed export).</summary>
    public string ExportMethod { get; set; } = "";
}

public sealed class ManifestFile
{
    public string Name { get; set; } = "";
    public long Size { get; set; }
    public string Sha256 { get; set; } = "";
}

public sealed class RepositoryMetadata
{
    public int SchemaVersion { get; set; } = 1;
    public string Layout { get; set; } = "incus-backup/directory";
    public DateTimeOffset CreatedAt { get; set; }
    public string ToolVersion { get; set; } = "";
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(BackupManifest))]
[JsonSerializable(typeof(RepositoryMetadata))]
[JsonSerializable(typeof(ManifestSummary))]
[JsonSerializable(typeof(SourceSummary))]
internal sealed partial class RepositoryJsonContext : JsonSerializerContext;
