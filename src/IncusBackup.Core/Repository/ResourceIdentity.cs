namespace IncusBackup.Repository;

/// <summary>
/// Which backups are of the same resource, for -Latest and retention: kind, project, pool and name on one server;
/// and for a custom volume also its cluster member, since a local pool holds a separate volume of a name on each
/// member. Not for an instance: its name is unique in the cluster, and it may move between members.
/// </summary>
public readonly record struct ResourceIdentity(BackupKind Kind, string Project, string? Pool, string Name, string? ServerName, string? VolumeMember)
{
    public static ResourceIdentity Of(BackupRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return new(record.Kind, record.Project, record.Pool, record.Name, record.ServerName, record.Kind == BackupKind.Volume ? record.Member : null);
    }
}
