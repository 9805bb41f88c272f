using IncusBackup.IO;

namespace IncusBackup.Repository.Directory;

/// <summary>
/// A backup being written in its own folder under .incomplete/. Publishing writes the seal, fsyncs, and renames the
/// folder into place in one step; disposing it unpublished deletes the folder.
/// </summary>
internal sealed class DirectoryStagedBackup(DirectoryRepository repository, string folder, string resourceFolder) : IStagedBackup
{
    private bool _published;

    /// <summary>The temporary folder under .incomplete/.</summary>
    public string Folder { get; } = folder;

    public Stream CreateFile(string name) => PrivateFiles.Create(Path.Combine(Folder, ResourceName.EnsureSafeSegment(name, "file")));

    public Stream OpenFile(string name) => File.OpenRead(Path.Combine(Folder, ResourceName.EnsureSafeSegment(name, "file")));

    public void RenameFile(string from, string to) => File.Move(Path.Combine(Folder, from), Path.Combine(Folder, ResourceName.EnsureSafeSegment(to, "file")));

    /// <summary>When the version is taken (two backups in one second) the next sequence number is used.</summary>
    public Task<BackupRecord> PublishAsync(BackupManifest manifest, BackupVersion version, CancellationToken ct)
    {
        FsyncFiles(manifest);
        while (true)
        {
            manifest.Version = version.ToString();
            if (TryPublish(BackupSeal.Create(manifest)) is { } record) return Task.FromResult(record);
            version = version.Next();
        }
    }

    /// <summary>The seal's own bytes, at the seal's version; a version taken is a conflict, not the next sequence.</summary>
    public Task<BackupRecord> PublishCopyAsync(BackupSeal seal, bool protect, CancellationToken ct)
    {
        FsyncFiles(seal.Manifest);
        // The mark goes in before the rename: the copy appears protected or not at all.
        if (protect) DirectoryRepository.WriteProtectedMarker(Folder);
        return Task.FromResult(TryPublish(seal)
            ?? throw VersionTaken.Error(repository.Target, seal.Manifest, Path.Combine(resourceFolder, seal.Manifest.Version)));
    }

    private void FsyncFiles(BackupManifest manifest)
    {
        foreach (var file in manifest.Files) PrivateFiles.Fsync(Path.Combine(Folder, file.Name));
        PrivateFiles.CreateDirectory(resourceFolder);
    }

    /// <summary>Writes the seal and renames the folder into place as the seal's version; null when that version is taken.</summary>
    private BackupRecord? TryPublish(BackupSeal seal)
    {
        var version = ResourceName.EnsureSafeSegment(seal.Manifest.Version, "version");
        PrivateFiles.Write(Path.Combine(Folder, BackupSeal.ManifestFile), seal.ManifestBytes);
        PrivateFiles.Write(Path.Combine(Folder, BackupSeal.ChecksumsFile), seal.ChecksumsBytes);
        Posix.FsyncDirectory(Folder);

        var destination = Path.Combine(resourceFolder, version);
        if (System.IO.Directory.Exists(destination)) return null;
        try
        {
            System.IO.Directory.Move(Folder, destination);
            Posix.FsyncDirectory(resourceFolder);
            _published = true;
            return repository.ToRecord(seal.Manifest, destination);
        }
        catch (IOException) when (System.IO.Directory.Exists(destination))
        {
            // Another writer took this version between our check and the rename.
            return null;
        }
    }

    public void Dispose()
    {
        if (_published || !System.IO.Directory.Exists(Folder)) return;
        try
        {
            System.IO.Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // Left for CleanupLeftovers on the next run.
        }
    }
}
