using IncusBackup.Errors;
using IncusBackup.Repository.Directory;

namespace IncusBackup.Repository.Restic;

/// <summary>
/// A backup being written to restic: each file the engine creates is streamed into its own snapshot
/// (<c>restic backup --stdin</c>, tagged backup=&lt;id&gt;); publishing writes manifest.json and checksums.txt to a
/// private temporary folder and stores them as the seal snapshot, which names the archive snapshots and makes the
/// backup visible. Disposing it unpublished stops restic and forgets the archive snapshots already written.
/// </summary>
internal sealed class ResticStagedBackup(ResticRepository repository, ResourceKey resource) : IStagedBackup
{
    private readonly string _backupId = Guid.NewGuid().ToString("N");

    // Logical file name -> the upload holding it (stored in restic under the name it was created with).
    private readonly Dictionary<string, (string StoredName, ResticUploadStream Upload)> _files = new(StringComparer.Ordinal);
    private bool _published;

    public Stream CreateFile(string name)
    {
        ResourceName.EnsureSafeSegment(name, "file");
        var upload = new ResticUploadStream(
            repository.Command(ResticCommand.BackupStdin(name, ResticTags.ForData(resource, _backupId, ResticRepository.RunTag))), repository.Location);
        _files[name] = (name, upload);
        return upload;
    }

    public Stream OpenFile(string name) => repository.Dump(Completed(name), _files[name].StoredName, $"read back {name}");

    /// <summary>Only the name changes: restic keeps the file under the name it was streamed with, the seal maps it.</summary>
    public void RenameFile(string from, string to)
    {
        ResourceName.EnsureSafeSegment(to, "file");
        _files[to] = _files[from];
        _files.Remove(from);
    }

    /// <summary>When another backup of this resource holds the version already, the next sequence number is used.</summary>
    public async Task<BackupRecord> PublishAsync(BackupManifest manifest, BackupVersion version, CancellationToken ct)
    {
        var files = DataFiles(manifest);
        var taken = await TakenAsync(ct).ConfigureAwait(false);
        while (taken.Contains(repository.LocationOf(resource, version.ToString()))) version = version.Next();
        manifest.Version = version.ToString();
        return await SealAsync(BackupSeal.Create(manifest), files, protect: false, ct).ConfigureAwait(false);
    }

    /// <summary>The seal's own bytes, at the seal's version; a version taken is a conflict, not the next sequence.</summary>
    public async Task<BackupRecord> PublishCopyAsync(BackupSeal seal, bool protect, CancellationToken ct)
    {
        var files = DataFiles(seal.Manifest);
        var location = repository.LocationOf(resource, seal.Manifest.Version);
        if ((await TakenAsync(ct).ConfigureAwait(false)).Contains(location)) throw VersionTaken.Error(repository.Target, seal.Manifest, location);
        return await SealAsync(seal, files, protect, ct).ConfigureAwait(false);
    }

    /// <summary>Each file of the manifest with the snapshot that holds it.</summary>
    private List<(string Name, string Snapshot)> DataFiles(BackupManifest manifest) => [.. manifest.Files.Select(f => (f.Name, Completed(f.Name)))];

    /// <summary>The locations the seals in the repository hold.</summary>
    private async Task<HashSet<string>> TakenAsync(CancellationToken ct) =>
        (await repository.SnapshotsAsync(ct).ConfigureAwait(false)).Where(s => s.IsSeal).Select(s => s.Location).OfType<string>().ToHashSet(StringComparer.Ordinal);

    /// <summary>Stores manifest.json and checksums.txt as the seal snapshot, tagged with the archive snapshots: the backup is visible from here on.</summary>
    private async Task<BackupRecord> SealAsync(BackupSeal seal, List<(string Name, string Snapshot)> files, bool protect, CancellationToken ct)
    {
        var manifest = seal.Manifest;
        var location = repository.LocationOf(resource, manifest.Version);
        var folder = Path.Combine(Path.GetTempPath(), $"incusbackup-seal-{Environment.ProcessId}-{_backupId}");
        PrivateFiles.CreateDirectory(folder);
        try
        {
            PrivateFiles.Write(Path.Combine(folder, BackupSeal.ManifestFile), seal.ManifestBytes);
            PrivateFiles.Write(Path.Combine(folder, BackupSeal.ChecksumsFile), seal.ChecksumsBytes);
            // Run in the folder and back up ".": restic then stores the two files at the snapshot's root.
            await ResticProcess.RunAsync(
                repository.Command(ResticCommand.BackupDirectory([.. ResticTags.ForSeal(resource, _backupId, manifest.Version, location, files), .. protect ? [ResticTags.Protected] : Array.Empty<string>()]), folder),
                repository.Location, $"seal the backup of {resource}", ct).ConfigureAwait(false);
        }
        finally
        {
            System.IO.Directory.Delete(folder, recursive: true);
        }
        _published = true;
        return repository.ToRecord(manifest, location, isProtected: protect);
    }

    public void Dispose()
    {
        if (_published) return;
        foreach (var (_, upload) in _files.Values) upload.Abort();
        var written = _files.Values.Select(f => f.Upload.SnapshotId).OfType<string>().ToList();
        if (written.Count == 0) return;
        try
        {
            repository.Run(ResticCommand.Forget(written, prune: false), "forget an unfinished backup");
        }
        catch (IncusBackupException)
        {
            // Never listed without a seal; the next run's CleanupLeftovers forgets them.
        }
    }

    /// <summary>The snapshot that holds a file whose stream the engine has closed; restic's failure if it had one.</summary>
    private string Completed(string name)
    {
        if (!_files.TryGetValue(name, out var file))
            throw new InvalidOperationException($"No file '{name}' was written to this backup.");
        if (file.Upload.Failure is { } failure)
        {
            throw failure as IncusBackupException ?? new IncusBackupException(ErrorIds.ResticFailed, ErrorKind.WriteError,
                $"restic did not store '{name}' of {resource} in {repository.Target}: {failure.Message}", repository.Target, inner: failure);
        }
        return file.Upload.SnapshotId ?? throw new InvalidOperationException($"The file '{name}' is still being written.");
    }
}
