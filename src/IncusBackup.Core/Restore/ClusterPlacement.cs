using IncusBackup.Errors;
using IncusBackup.Incus;

namespace IncusBackup.Restore;

/// <summary>
/// Which cluster member a restore lands on: the one asked for (-TargetMember), else the member the backup came
/// from while the cluster still has it online, else none (the cluster places it, as incus import does).
/// </summary>
public static class ClusterPlacement
{
    /// <exception cref="IncusBackupException">ServerNotClustered or ClusterMemberNotFound for a -TargetMember that cannot be honoured.</exception>
    public static async Task<string?> ChooseAsync(IIncusServer server, string? requested, string? recorded, CancellationToken ct)
    {
        var info = await server.GetServerAsync(ct).ConfigureAwait(false);
        if (!info.Environment.ServerClustered)
        {
            if (requested is null) return null;
            throw new IncusBackupException(ErrorIds.ServerNotClustered, ErrorKind.InvalidArgument,
                $"-TargetMember '{requested}' names a cluster member, but the server at {server.Endpoint} is not clustered. Nothing was changed.", requested,
                "Leave out -TargetMember, or reach the cluster with -Remote or -Server.");
        }
        var members = await server.Cluster.ListMembersAsync(ct).ConfigureAwait(false);
        if (requested is not null)
        {
            if (members.Any(m => m.ServerName == requested)) return requested;
            throw new IncusBackupException(ErrorIds.ClusterMemberNotFound, ErrorKind.NotFound,
                $"The cluster at {server.Endpoint} has no member '{requested}' (its members: {string.Join(", ", members.Select(m => m.ServerName))}). Nothing was changed.",
                requested, "Pick one of its members (incus cluster list), or leave out -TargetMember to restore where the backup came from.");
        }
        return recorded is not null && members.Any(m => m.ServerName == recorded && m.Status is null or "Online") ? recorded : null;
    }
}
