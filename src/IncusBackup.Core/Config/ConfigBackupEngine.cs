using System.Security.Cryptography;
using IncusBackup.Errors;
using IncusBackup.Reporting;
using IncusBackup.Repository;

namespace IncusBackup.Config;

/// <summary>
/// Backs up the declarative config (projects, storage pools, managed networks, profiles, server keys) as the
/// spec's JSON files under config/&lt;version&gt;/, sealed like every other backup.
/// </summary>
public sealed class ConfigBackupEngine(Incus.IIncusServer server, IBackupRepository repository, string toolVersion)
{
    /// <summary>The manifest's project for a backup of every project.</summary>
    public const string AllProjects = "*";

    /// <summary>The run this backup belongs to (Backup-IncusServer), recorded in the manifest.</summary>
    public string? RunId { get; init; }

    /// <param name="project">One project, or null for the whole server.</param>
    public async Task<BackupRecord> BackupAsync(string? project, IReporter reporter, CancellationToken ct)
    {
        var scope = project ?? AllProjects;
        reporter.Progress(new ItemProgress($"config {scope}", "Reading the config", 0, null));
        var info = await server.GetServerAsync(ct).ConfigureAwait(false);
        var createdAt = DateTimeOffset.UtcNow;
        var snapshot = await ConfigReader.ReadAsync(server, project, ct).ConfigureAwait(false);
        // Incus lists nothing for a project it does not have: without this, a misspelt -Project backs up the pools alone.
        if (project is not null && !snapshot.Resources.Any(r => r.Kind == ConfigKind.Project))
        {
            throw new IncusBackupException(ErrorIds.ProjectNotFound, ErrorKind.NotFound, $"Project '{project}' not found.", project,
                "List the projects with: incus project list");
        }
        using var staged = repository.BeginBackup(new ResourceKey(BackupKind.Config, scope, null, "config"));
        var files = new List<ManifestFile>();
        foreach (var (name, content) in snapshot.ToFiles())
        {
            await using (var file = staged.CreateFile(name))
                await file.WriteAsync(content, ct).ConfigureAwait(false);
            files.Add(new ManifestFile { Name = name, Size = content.Length, Sha256 = Convert.ToHexStringLower(SHA256.HashData(content)) });
        }
        var counts = snapshot.Resources.GroupBy(r => r.Kind).ToDictionary(g => g.Key, g => g.Count());
        var manifest = new BackupManifest
        {
            Kind = "config",
            Project = scope,
            Name = "config",
            CreatedAt = createdAt,
            CompletedAt = DateTimeOffset.UtcNow,
            ToolVersion = toolVersion,
            RunId = RunId,
            Server = ManifestServer.Of(info, server),
            Options = new ManifestOptions { Consistency = "None", Compression = "none", DetectedCompression = "none", ExportMethod = "Config" },
            Files = [.. files.OrderBy(f => Array.IndexOf([.. ConfigSnapshot.FileNames.Values], f.Name))],
        };
        var record = await staged.PublishAsync(manifest, BackupVersion.At(createdAt.UtcDateTime), ct).ConfigureAwait(false);
        reporter.Verbose($"Backed up the config of {(project is null ? "the server" : $"project {project}")}: " +
            string.Join(", ", Enum.GetValues<ConfigKind>().Where(k => k != ConfigKind.Server).Select(k => $"{counts.GetValueOrDefault(k)} {k.ToString().ToLowerInvariant()}(s)")) + $", to {record.Location}.");
        return record;
    }
}
