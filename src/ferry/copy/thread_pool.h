// A fixed set of worker threads taking tasks from one queue.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace ferry {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  // Finishes every queued task, then joins the threads.
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Tasks must not throw; they report failures through their own results.
  void submit(std::function<void()> task);

 private:
  void work();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

// The outcome of one piece of work that others wait for or chain onto.
// An empty error means success.
class Completion {
 public:
  void complete(std::string error);
  // Blocks until complete(); returns the error.
  std::string wait();
  // Blocks until complete() or `deadline`; false when the deadline came first.
  bool waitUntil(std::chrono::steady_clock::time_point deadline, std::string& error);
  // Runs `next` with the error once complete (at once if it already is).
  void then(std::function<void(const std::string&)> next);

 private:
  std::mutex mutex_;
  std::condition_variable done_;
  bool complete_ = false;
  std::string error_;
  std::vector<std::function<void(const std::string&)>> waiting_;
};

}  // namespace ferry
