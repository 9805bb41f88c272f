using System.Text.Json;

namespace IncusBackup.Repository;

/// <summary>
/// The fields of manifest.json that a backup's record needs (<see cref="BackupRecords"/>). A listing parses only
/// these: the source object, most of a manifest's bytes, is skipped rather than materialised, except an image's
/// alias names. Reading 100,000 manifests this way takes a fraction of what full <see cref="BackupManifest"/>s take.
/// </summary>
internal sealed class ManifestSummary
{
    public string Kind { get; set; } = "";
    public string Project { get; set; } = "";
    public string? Pool { get; set; }
    public string Name { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
    public string? RunId { get; set; }
    public ServerSummary Server { get; set; } = new();
    public ManifestOptions Options { get; set; } = new();
    public string? InstanceType { get; set; }
    public List<string> Snapshots { get; set; } = [];
    public SourceSummary? Source { get; set; }
    public List<ManifestFile> Files { get; set; } = [];

    /// <summary>The summary of a manifest already parsed in full.</summary>
    public static ManifestSummary Of(BackupManifest manifest) => new()
    {
        Kind = manifest.Kind,
        Project = manifest.Project,
        Pool = manifest.Pool,
        Name = manifest.Name,
        CreatedAt = manifest.CreatedAt,
        RunId = manifest.RunId,
        Server = new ServerSummary { Version = manifest.Server.Version, Name = manifest.Server.Name, Member = manifest.Server.Member },
        Options = manifest.Options,
        InstanceType = manifest.InstanceType,
        Snapshots = manifest.Snapshots,
        Source = manifest.Kind == "image" && manifest.Source is { ValueKind: JsonValueKind.Object } source
            ? source.Deserialize(RepositoryJsonContext.Default.SourceSummary)
            : null,
        Files = manifest.Files,
    };

    public static ManifestSummary Parse(ReadOnlySpan<byte> manifestBytes, string where) =>
        BackupSeal.ParseManifestAs(manifestBytes, RepositoryJsonContext.Default.ManifestSummary, where);
}

internal sealed class ServerSummary
{
    public string Version { get; set; } = "";
    public string? Name { get; set; }
    public string? Member { get; set; }
}

/// <summary>Of the source object, only what a record shows: an image's aliases.</summary>
internal sealed class SourceSummary
{
    public List<AliasSummary>? Aliases { get; set; }
}

internal sealed class AliasSummary
{
    public string? Name { get; set; }
}
