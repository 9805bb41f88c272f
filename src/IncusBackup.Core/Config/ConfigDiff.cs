using System.Text.Json.Nodes;

namespace IncusBackup.Config;

/// <summary>One resource compared: what the backup has (Desired), what the server has (Current), and the change between them.</summary>
public sealed record ConfigComparison(ConfigChange Change, ConfigResource? Desired, ConfigResource? Current);

/// <summary>
/// Compares a config backup with the server, resource by resource and field by field: description, every config
/// key, and every device key of a profile (devices.eth0.parent). Resources only the server has are Extra.
/// </summary>
public static class ConfigDiff
{
    /// <param name="wholeServer">The backup covers every project (and so every pool and project on the server).</param>
    public static IReadOnlyList<ConfigComparison> Compare(ConfigSnapshot backup, ConfigSnapshot server, bool wholeServer)
    {
        var current = server.Resources.ToDictionary(r => r.Key, StringComparer.Ordinal);
        var result = new List<ConfigComparison>();
        foreach (var desired in backup.Resources)
        {
            current.TryGetValue(desired.Key, out var found);
            // The server always exists: keys it lacks are an update, never a create.
            if (found is null && desired.Kind == ConfigKind.Server) found = desired with { Body = new JsonObject { ["config"] = new JsonObject() } };
            var changes = Fields(desired, found);
            var action = found is null ? ConfigAction.Create : changes.Count == 0 ? ConfigAction.Unchanged : ConfigAction.Update;
            result.Add(new ConfigComparison(Change(desired, action, changes), desired, found));
        }
        var inBackup = backup.Resources.Select(r => r.Key).ToHashSet(StringComparer.Ordinal);
        var covered = backup.Resources.Where(r => r.Kind == ConfigKind.Project).Select(r => r.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var extra in server.Resources.Where(r => !inBackup.Contains(r.Key) && r.Kind != ConfigKind.Server))
        {
            // Only what the backup covered: everything for a whole-server backup, else the profiles and networks of its projects.
            var withinScope = extra.Project is null ? wholeServer : wholeServer || covered.Contains(extra.Project);
            if (withinScope) result.Add(new ConfigComparison(Change(extra, ConfigAction.Extra, []), null, extra));
        }
        return result;
    }

    /// <summary>Every field that differs, as the flattened names operators know from incus config: config.key, devices.name.key.</summary>
    internal static List<ConfigFieldChange> Fields(ConfigResource desired, ConfigResource? current)
    {
        var want = Flatten(desired.Body);
        var have = current is null ? new Dictionary<string, string>() : Flatten(current.Body);
        var changes = new List<ConfigFieldChange>();
        foreach (var field in want.Keys.Union(have.Keys).Order(StringComparer.Ordinal))
        {
            var old = have.GetValueOrDefault(field);
            var @new = want.GetValueOrDefault(field);
            // A server key the backup does not have is one the restore removes (ConfigApplier PATCHes it to ""), so it is shown.
            if (old == @new) continue;
            changes.Add(new ConfigFieldChange { Field = field, Old = old, New = @new });
        }
        return changes;
    }

    private static Dictionary<string, string> Flatten(JsonObject body)
    {
        var flat = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (field, value) in body)
        {
            // Member keys are given to a pool or network when a restore creates it, never changed on an existing one
            // (a pool's source or size is not a config restore's to change): they are no difference to show.
            if (field is "name" or "project" or MemberConfig.Field || value is null) continue;
            switch (value)
            {
                case JsonObject map when field == "devices":
                    foreach (var (device, settings) in map)
                        foreach (var (key, v) in settings as JsonObject ?? [])
                            if (v is not null) flat[$"devices.{device}.{key}"] = v.ToString();
                    break;
                case JsonObject map:
                    foreach (var (key, v) in map)
                        if (v is not null) flat[$"{field}.{key}"] = v.ToString();
                    break;
                default:
                    var text = value.ToString();
                    if (field != "description" || text.Length > 0) flat[field] = text;
                    break;
            }
        }
        return flat;
    }

    private static ConfigChange Change(ConfigResource resource, ConfigAction action, List<ConfigFieldChange> changes) => new()
    {
        Kind = resource.Kind.ToString(),
        Project = resource.Project,
        Name = resource.Name,
        Action = action,
        Changes = [.. changes],
    };
}
