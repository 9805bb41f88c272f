namespace IncusBackup.Running;

/// <summary>What became of a task, for code that must wait for one before it reports another failure.</summary>
internal static class TaskOutcome
{
    /// <summary>Waits for <paramref name="task"/> and returns its exception, or null when it succeeded.</summary>
    public static async Task<Exception?> FailureOfAsync(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }
}
