namespace IncusBackup.Backup;

/// <summary>The copier of each kind of source that Snapshot consistency can copy.</summary>
internal static class SourceCopiers
{
    public static ISourceCopier? For(Incus.IIncusServer server, IBackupSource source) => source switch
    {
        InstanceBackupSource instance => new InstanceCopier(server, instance.Instance),
        VolumeBackupSource volume => new VolumeCopier(server, volume.Project, volume.Pool, volume.Volume),
        _ => null,
    };
}
