using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using IncusBackup.Incus;

namespace IncusBackup.IO;

/// <summary>
/// The files in which this host writes down work under way that a killed run must not leave half-done (a freeze, a
/// replace-restore): one JSON file per entry, named after the run's pid, under $XDG_STATE_HOME/incus-backup/&lt;name&gt;
/// (~/.local/state by default); always written whole (a temporary file, flushed, renamed into place) and deleted when
/// the work is done. The next run goes through what dead runs (<see cref="RunOwner"/>) left, once per connection.
/// Host-local because the run that must repair is the next one on this host, where pid and boot id mean anything.
/// </summary>
internal static class HostJournal
{
    /// <summary>The folder of one journal of the current user.</summary>
    public static string StateDirectory(string name)
    {
        var state = Environment.GetEnvironmentVariable("XDG_STATE_HOME");
        if (string.IsNullOrEmpty(state)) state = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state");
        return Path.Combine(state, "incus-backup", name);
    }

    /// <summary>A new entry's path (the folder is created): "&lt;pid&gt;-&lt;random&gt;.json".</summary>
    public static string NewEntryPath(string directory, int pid)
    {
        Directory.CreateDirectory(directory);
        return Path.Combine(directory, $"{pid}-{Guid.NewGuid():N}.json");
    }

    /// <summary>Writes an entry whole under a temporary name, flushes it, and renames it into place: never half an entry.</summary>
    public static void Write<T>(string path, T entry, JsonTypeInfo<T> type)
    {
        var temporary = path + ".tmp";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write))
        {
            JsonSerializer.Serialize(file, entry, type);
            file.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>An entry, or null when it cannot be read (gone, or not JSON): such a file is left alone.</summary>
    public static T? Read<T>(string path, JsonTypeInfo<T> type) where T : class
    {
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(path), type);
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            return null;
        }
    }

    /// <summary>Crosses an entry out. A leftover entry is harmless: the next sweep finds its work done and drops it.</summary>
    public static void Remove(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // See above.
        }
    }

    /// <summary>The entries' paths, oldest run first by name; none when the journal was never written.</summary>
    public static IReadOnlyList<string> EntryPaths(string directory) =>
        Directory.Exists(directory) ? [.. Directory.EnumerateFiles(directory, "*.json").Order(StringComparer.Ordinal)] : [];

    /// <summary>Runs <paramref name="sweep"/> once per connection (one cmdlet run), however many workers ask.</summary>
    public static Task OnceAsync(ConditionalWeakTable<IIncusServer, Task> swept, IIncusServer server, Func<Task> sweep)
    {
        lock (swept)
        {
            if (!swept.TryGetValue(server, out var running))
            {
                running = sweep();
                swept.Add(server, running);
            }
            return running;
        }
    }
}
