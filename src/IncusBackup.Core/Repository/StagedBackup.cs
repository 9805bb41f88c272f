namespace IncusBackup.Repository;

/// <summary>
/// A backup being written in its temporary folder. Publish it to make it visible; dispose it to remove every
/// trace (also on failure and cancellation).
/// </summary>
public sealed class StagedBackup : IDisposable
{
    private readonly DirectoryRepository _repository;
    private bool _published;

    internal StagedBackup(DirectoryRepository repository, string folder, string resourceFolder)
    {
        _repository = repository;
        Folder = folder;
        ResourceFolder = resourceFolder;
    }

    /// <summary>The temporary folder under .incomplete/.</summary>
    public string Folder { get; }

    /// <summary>Where the versions of this resource live.</summary>
    public string ResourceFolder { get; }

    public HashingFileWriter CreateFile(string name) => new(Path.Combine(Folder, name));

    /// <summary>Renames a file written under a provisional name (the extension is known only after the first bytes).</summary>
    public void RenameFile(string from, string to) => File.Move(Path.Combine(Folder, from), Path.Combine(Folder, to));

    public BackupRecord Publish(BackupManifest manifest, BackupVersion version)
    {
        var record = _repository.Publish(this, manifest, version);
        _published = true;
        return record;
    }

    public void Dispose()
    {
        if (_published || !Directory.Exists(Folder)) return;
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // Left for CleanupStale on the next run.
        }
    }
}
