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
        var files = manifest.Files.Select(f => (f.Name, Snapshot: Completed(f.Name))).ToList();
        var taken = (await repository.SnapshotsAsync(ct).ConfigureAwait(false)).Where(s => s.IsSeal).Select(s => s.Location).ToHashSet(StringComparer.Ordinal);
        while (taken.Contains(repository.LocationOf(resource, version.ToString()))) version = version.Next();
        manifest.Version = version.ToString();
        var location = repository.LocationOf(resource, manifest.Version);
        var seal = BackupSeal.Create(manifest);

        var folder = Path.Combine(Path.GetTempPath(), $"incusbackup-seal-{Environment.ProcessId}-{_backupId}");
        PrivateFiles.CreateDirectory(folder);
        try
        {
            PrivateFiles.Write(Path.Combine(folder, BackupSeal.ManifestFile), seal.ManifestBytes);
            PrivateFiles.Write(Path.Combine(folder, BackupSeal.ChecksumsFile), seal.ChecksumsBytes);
            // Run in the folder and back up ".": restic then stores the two files at the snapshot's root.
            await ResticProcess.RunAsync(
                repository.Command(ResticCommand.BackupDirectory(ResticTags.ForSeal(resource, _backupId, manifest.Version, location, files)), folder),
                repository.Location, $"seal the backup of {resource}", ct).ConfigureAwait(false);
        }
        finally
        {
            System.IO.Directory.Delete(folder, recursive: true);
        }
        _published = true;
        return repository.ToRecord(manifest, location, isProtected: false);
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
