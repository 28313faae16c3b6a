#include "ferry/copy/thread_pool.h"

namespace ferry {

ThreadPool::ThreadPool(int threads) {
  for (int i = 0; i < std::max(threads, 1); ++i) threads_.emplace_back([this] { work(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& thread : threads_) thread.join();
}

void ThreadPool::submit(std::function<void()> task) {
  {
    std::lock_guard lock(mutex_);
    tasks_.push_back(std::move(task));
  }
  wake_.notify_one();
}

void ThreadPool::work() {
  while (true) {
    std::function<void()> task;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
      if (tasks_.empty()) return;  // stopping, and nothing left to do
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

void Completion::complete(std::string error) {
  std::vector<std::function<void(const std::string&)>> waiting;
  {
    std::lock_guard lock(mutex_);
    complete_ = true;
    error_ = std::move(error);
    waiting.swap(waiting_);
  }
  done_.notify_all();
  for (auto& next : waiting) next(error_);
}

std::string Completion::wait() {
  std::unique_lock lock(mutex_);
  done_.wait(lock, [this] { return complete_; });
  return error_;
}

bool Completion::waitUntil(std::chrono::steady_clock::time_point deadline, std::string& error) {
  std::unique_lock lock(mutex_);
  if (!done_.wait_until(lock, deadline, [this] { return complete_; })) return false;
  error = error_;
  return true;
}

void Completion::then(std::function<void(const std::string&)> next) {
  {
    std::lock_guard lock(mutex_);
    if (!complete_) {
      waiting_.push_back(std::move(next));
      return;
    }
  }
  next(error_);
}

}  // namespace ferry
