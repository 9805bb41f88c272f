namespace IncusBackup.Repository;

/// <summary>Builds the record of a stored backup from its manifest, the same way for every backend.</summary>
internal static class BackupRecords
{
    public static BackupRecord FromManifest(BackupManifest manifest, string version, string location, string repository, bool isProtected) =>
        FromManifest(ManifestSummary.Of(manifest), version, location, repository, isProtected);

    public static BackupRecord FromManifest(ManifestSummary manifest, string version, string location, string repository, bool isProtected)
    {
        var archive = manifest.Files.FirstOrDefault() ?? new ManifestFile();
        return new BackupRecord
        {
            Kind = Enum.Parse<BackupKind>(manifest.Kind, ignoreCase: true),
            Project = manifest.Project,
            Pool = manifest.Pool,
            Name = manifest.Name,
            Version = version,
            // When the backup started, to the tick; its version has only whole seconds.
            Timestamp = manifest.CreatedAt != default ? manifest.CreatedAt.ToUniversalTime() : new DateTimeOffset(BackupVersion.Parse(version).Timestamp),
            // A split image has two files; the size is what the backup takes.
            Size = manifest.Files.Sum(f => f.Size),
            Sha256 = archive.Sha256,
            Compression = manifest.Options.DetectedCompression,
            WithoutSnapshots = manifest.Options.InstanceOnly,
            Optimized = manifest.Options.Optimized,
            Consistency = manifest.Options.Consistency,
            Snapshots = [.. manifest.Snapshots],
            Aliases = manifest.Kind == "image" && manifest.Source?.Aliases is { } aliases ? [.. aliases.Select(a => a.Name).OfType<string>()] : [],
            RunId = manifest.RunId,
            Type = manifest.InstanceType,
            ServerVersion = manifest.Server.Version,
            ServerName = manifest.Server.Name,
            Member = manifest.Server.Member,
            ArchiveName = archive.Name,
            Protected = isProtected,
            Location = location,
            Repository = repository,
        };
    }
}
