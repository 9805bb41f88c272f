using System.Text.Json;
using IncusBackup.Errors;
using IncusBackup.Incus;
using IncusBackup.Repository;
using static IncusBackup.Restore.RestoreStrategies;

namespace IncusBackup.Restore;

/// <summary>
/// Plans the restore of an image. An image is identified by its content (the fingerprint), so there is nothing
/// to swap: a missing image is imported, and then what the backup adds to it comes back: its settings
/// (properties, public, auto_update, profiles) and its aliases. An image already on the server is never an error;
/// when nothing differs the restore is Skipped. An alias that points at another image is the conflict: it asks
/// (or -Replace repoints it, -SkipExisting leaves it). Every step is undone if a later one fails.
/// </summary>
public sealed class ImageRestorePlanner(IIncusServer server)
{
    public async Task<RestorePlan> PlanAsync(IBackupRepository repository, RestoreRequest request, CancellationToken ct)
    {
        var backup = request.Backup;
        var seal = await BackupVerifier.ReadSealAsync(repository, backup, ct).ConfigureAwait(false);
        var manifest = seal.Manifest;
        if (manifest.Kind != "image")
        {
            throw new IncusBackupException(ErrorIds.BackupKindMismatch, ErrorKind.InvalidArgument,
                $"{backup} is a {manifest.Kind} backup, not an image backup.", backup.ToString(),
                $"Use Restore-Incus{(manifest.Kind == "volume" ? "Volume" : "Instance")} for it.");
        }
        var saved = manifest.Source is { ValueKind: JsonValueKind.Object } source
            ? source.Deserialize(IncusJsonContext.Default.IncusImage)
            : null;
        if (saved is null || manifest.Files.Count is < 1 or > 2)
        {
            throw new IncusBackupException(ErrorIds.ManifestInvalid, ErrorKind.InvalidData,
                $"The manifest of {backup} does not describe an image (its settings or files are missing).", backup.ToString());
        }
        var fingerprint = manifest.Name;
        var project = Mapped(request.ProjectMap, manifest.Project);
        if (await server.Projects.TryGetAsync(project, ct).ConfigureAwait(false) is null)
        {
            throw new IncusBackupException(ErrorIds.DependencyMissing, ErrorKind.NotFound,
                $"Restoring {backup} needs project '{project}', which the server lacks. Nothing was changed.", backup.ToString(),
                "Create the project first (Restore-IncusConfig restores projects), or map it with -ProjectMap.");
        }

        var existing = await server.Images.TryGetAsync(project, fingerprint, ct).ConfigureAwait(false);
        var serverAliases = await server.Images.ListAliasesAsync(project, ct).ConfigureAwait(false);
        var target = new RestoreTarget(BackupKind.Image, project, null, fingerprint);
        var shortName = $"{project}/{fingerprint[..Math.Min(12, fingerprint.Length)]}";
        var steps = new List<RestoreStep>();
        if (existing is null)
        {
            var uploader = new ImageUploader(server);
            steps.Add(new RestoreStep("Import image", $"{shortName} from {backup.Version}", step =>
                step.Log.RunAsync("import",
                    () => uploader.UploadAsync(repository, backup, manifest, project, step.Reporter, step.Cancellation),
                    () => server.Images.DeleteAsync(project, fingerprint, CancellationToken.None))));
        }
        var settings = saved.ToUpdate();
        if (existing is null || !SameSettings(existing.ToUpdate(), settings))
        {
            steps.Add(new RestoreStep("Restore image settings", shortName, step =>
                step.Log.RunAsync("settings",
                    () => server.Images.UpdateAsync(project, fingerprint, settings, step.Cancellation),
                    existing is null ? null : () => server.Images.UpdateAsync(project, fingerprint, existing.ToUpdate(), CancellationToken.None))));
        }
        var conflicts = new List<string>();
        foreach (var alias in saved.Aliases)
        {
            var current = serverAliases.FirstOrDefault(a => a.Name == alias.Name);
            if (current is null)
            {
                steps.Add(new RestoreStep("Create image alias", $"{project}/{alias.Name} -> {shortName}", step =>
                    step.Log.RunAsync("alias",
                        () => server.Images.CreateAliasAsync(project, alias.Name, alias.Description, fingerprint, step.Cancellation),
                        () => server.Images.DeleteAliasAsync(project, alias.Name, CancellationToken.None))));
            }
            else if (current.Target != fingerprint)
            {
                conflicts.Add($"alias '{alias.Name}' points at image {current.Target[..Math.Min(12, current.Target.Length)]}");
                if (request.Conflict == ConflictMode.SkipExisting) continue;
                steps.Add(new RestoreStep("Point image alias", $"{project}/{alias.Name} -> {shortName} (now {current.Target[..Math.Min(12, current.Target.Length)]})", step =>
                    step.Log.RunAsync("alias",
                        () => server.Images.UpdateAliasAsync(project, alias.Name, alias.Description, fingerprint, step.Cancellation),
                        () => server.Images.UpdateAliasAsync(project, alias.Name, current.Description, current.Target, CancellationToken.None))));
            }
        }

        var skip = steps.Count == 0;
        var plan = new RestorePlan
        {
            Request = request,
            Repository = repository,
            Seal = seal,
            Kind = BackupKind.Image,
            Target = target,
            TargetExists = conflicts.Count > 0 && request.Conflict != ConflictMode.SkipExisting,
            Mapping = Archive.RestoreMapping.None,
            Skip = skip,
            RollBackOnFailure = true,
            ResultAction = existing is null ? RestoreAction.Restored : RestoreAction.Updated,
            Conflict = conflicts.Count == 0 ? null : $"In project '{project}', {string.Join(" and ", conflicts)}",
            ConflictAction = "Point image aliases",
        };
        plan.Steps = skip ? [new RestoreStep("Skip existing image", $"{shortName} (already there with its aliases and settings)", _ => Task.CompletedTask)] : steps;
        return plan;
    }

    private static bool SameSettings(ImageUpdate a, ImageUpdate b) =>
        a.AutoUpdate == b.AutoUpdate && a.Public == b.Public && a.Profiles.SequenceEqual(b.Profiles)
        && a.Properties.Count == b.Properties.Count && a.Properties.All(p => b.Properties.TryGetValue(p.Key, out var v) && v == p.Value);
}
