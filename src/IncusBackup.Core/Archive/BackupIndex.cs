using YamlDotNet.RepresentationModel;
using ZstdSharp;

namespace IncusBackup.Archive;

/// <summary>The fields of <c>backup/index.yaml</c>, the first entry of every Incus backup tarball.</summary>
public sealed record BackupIndex
{
    public const string EntryPath = "backup/index.yaml";

    /// <summary>index.yaml is a few KiB per snapshot; anything this large is not an index.</summary>
    internal const int MaxSize = 64 * 1024 * 1024;

    public required string Name { get; init; }
    public required string Backend { get; init; }
    public required string Pool { get; init; }
    /// <summary>The type as written: container, virtual-machine or custom.</summary>
    public required string Type { get; init; }
    public BackupType Kind => Type switch
    {
        "container" => BackupType.Container,
        "virtual-machine" => BackupType.VirtualMachine,
        "custom" => BackupType.Custom,
        _ => BackupType.Unknown,
    };
    public bool IsInstance => Kind is BackupType.Container or BackupType.VirtualMachine;
    /// <summary>Snapshot names, oldest first; empty for instance-only/volume-only backups.</summary>
    public required IReadOnlyList<string> Snapshots { get; init; }
    /// <summary>True for driver-specific (e.g. zfs send) backups: these restore only onto the same driver.</summary>
    public required bool Optimized { get; init; }
    public required bool OptimizedHeader { get; init; }
    /// <summary>The project recorded in the instance or volume object, if any.</summary>
    public string? Project { get; init; }
    public required BackupReferences References { get; init; }
    public required string RawYaml { get; init; }

    /// <summary>Reads index.yaml from a backup tarball in any supported compression, reading no further than that entry.</summary>
    /// <exception cref="InvalidDataException">Not a tarball, or its first entry is not backup/index.yaml.</exception>
    public static BackupIndex ReadIndex(Stream archive) =>
        // Safe: no synchronisation context is involved, and the async path is the only implementation.
        ReadIndexAsync(archive, CancellationToken.None).GetAwaiter().GetResult();

    /// <inheritdoc cref="ReadIndex(Stream)"/>
    public static async Task<BackupIndex> ReadIndexAsync(Stream archive, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(archive);
        var (tar, _) = await ArchiveCompression.OpenTarAsync(archive, ct).ConfigureAwait(false);
        await using (tar.ConfigureAwait(false))
        {
            try
            {
                return (await ReadFirstEntryAsync(new RawTarReader(tar), ct).ConfigureAwait(false)).Index;
            }
            catch (ZstdException ex)
            {
                throw new InvalidDataException($"The backup's zstd data is corrupt: {ex.Message}", ex);
            }
        }
    }

    /// <summary>Parses index.yaml text.</summary>
    /// <exception cref="InvalidDataException">Not YAML, or name/type missing.</exception>
    public static BackupIndex Parse(string yaml)
    {
        var root = BackupYaml.Load(yaml, EntryPath);
        var config = BackupYaml.Mapping(root, "config");
        var owner = config is null ? null : BackupYaml.Mapping(config, "container") ?? BackupYaml.Mapping(config, "volume");
        return new BackupIndex
        {
            Name = Required(root, "name"),
            Type = Required(root, "type"),
            Backend = BackupYaml.Text(root, "backend") ?? "",
            Pool = BackupYaml.Text(root, "pool") ?? "",
            Snapshots = [.. BackupYaml.Items<YamlScalarNode>(root, "snapshots").Select(node => node.Value ?? "")],
            Optimized = IsTrue(root, "optimized"),
            OptimizedHeader = IsTrue(root, "optimized_header"),
            Project = owner is null ? null : BackupYaml.Text(owner, "project"),
            References = BackupReferences.FromIndex(root),
            RawYaml = yaml,
        };
    }

    /// <summary>Reads the first tar entry, which must be index.yaml; shared with the rewriter.</summary>
    internal static async Task<(BackupIndex Index, RawTarEntry Entry, byte[] Data)> ReadFirstEntryAsync(RawTarReader reader, CancellationToken ct)
    {
        var entry = await reader.ReadNextAsync(ct).ConfigureAwait(false)
            ?? throw new InvalidDataException("The backup tarball is empty.");
        if (entry.Path != EntryPath || !entry.IsRegularFile)
            throw new InvalidDataException($"Not an Incus backup: the first tar entry is '{entry.Path}', not {EntryPath}.");
        var data = await reader.ReadDataAsync(MaxSize, ct).ConfigureAwait(false);
        return (Parse(BackupYaml.Decode(data, EntryPath)), entry, data);
    }

    private static string Required(YamlMappingNode root, string key) =>
        BackupYaml.Text(root, key) is { Length: > 0 } value
            ? value
            : throw new InvalidDataException($"{EntryPath} has no '{key}'; the backup is missing required information.");

    private static bool IsTrue(YamlMappingNode root, string key) =>
        string.Equals(BackupYaml.Text(root, key), "true", StringComparison.OrdinalIgnoreCase);
}
