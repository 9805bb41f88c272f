namespace IncusBackup.Incus;

/// <summary>Builds API paths with escaped segments and the project query every project-scoped call needs.</summary>
internal static class IncusPath
{
    public static string Instance(string project, string name, string suffix = "") =>
        Scoped($"/1.0/instances/{Esc(name)}{suffix}", project);

    public static string Instances(string? project) =>
        project is null ? "/1.0/instances?recursion=1&all-projects=true" : Scoped("/1.0/instances?recursion=1", project);

    public static string InstanceBackup(string project, string name, string backup) =>
        Scoped($"/1.0/instances/{Esc(name)}/backups/{Esc(backup)}", project);

    public static string Volume(string project, string pool, string name, string suffix = "") =>
        Scoped($"/1.0/storage-pools/{Esc(pool)}/volumes/custom/{Esc(name)}{suffix}", project);

    public static string Volumes(string? project, string pool) =>
        project is null
            ? $"/1.0/storage-pools/{Esc(pool)}/volumes/custom?recursion=1&all-projects=true"
            : Scoped($"/1.0/storage-pools/{Esc(pool)}/volumes/custom?recursion=1", project);

    public static string VolumeBackup(string project, string pool, string name, string backup) =>
        Scoped($"/1.0/storage-pools/{Esc(pool)}/volumes/custom/{Esc(name)}/backups/{Esc(backup)}", project);

    /// <summary>Adds a path suffix before the query string: Append("/x?project=p", "/export") = "/x/export?project=p".</summary>
    public static string Append(string path, string suffix)
    {
        var query = path.IndexOf('?');
        return query < 0 ? path + suffix : path[..query] + suffix + path[query..];
    }

    /// <summary>Asks for objects instead of URLs.</summary>
    public static string WithRecursion(string path) =>
        path.Contains('?') ? path.Replace("?", "?recursion=1&", StringComparison.Ordinal) : path + "?recursion=1";

    public static string Esc(string segment) => Uri.EscapeDataString(segment);

    /// <summary>Adds ?project= (or &amp;project=) to a path.</summary>
    public static string Scoped(string path, string project) =>
        path + (path.Contains('?') ? '&' : '?') + "project=" + Esc(project);
}
